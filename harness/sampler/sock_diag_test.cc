#include "harness/sampler/sock_diag.h"

#include <doctest/doctest.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

using namespace faultline;

namespace {

// A canned reply message as the kernel lays it out.
std::string Message(uint16_t type, uint32_t inode, uint8_t state, size_t extra = 0) {
  std::string out(NLMSG_ALIGN(NLMSG_LENGTH(sizeof(inet_diag_msg) + extra)), '\0');
  nlmsghdr header{};
  header.nlmsg_len = static_cast<uint32_t>(NLMSG_LENGTH(sizeof(inet_diag_msg) + extra));
  header.nlmsg_type = type;
  std::memcpy(out.data(), &header, sizeof header);
  inet_diag_msg msg{};
  msg.idiag_family = AF_INET;
  msg.idiag_state = state;
  msg.idiag_inode = inode;
  std::memcpy(out.data() + NLMSG_HDRLEN, &msg, sizeof msg);
  return out;
}

std::string Done() {
  std::string out(NLMSG_ALIGN(NLMSG_LENGTH(sizeof(int))), '\0');
  nlmsghdr header{};
  header.nlmsg_len = static_cast<uint32_t>(NLMSG_LENGTH(sizeof(int)));
  header.nlmsg_type = NLMSG_DONE;
  std::memcpy(out.data(), &header, sizeof header);
  return out;
}

}  // namespace

TEST_CASE("InetDiagRequest asks for a TCP dump filtered by state") {
  const std::string request = InetDiagRequest(AF_INET6, TcpStateBit(kTcpCloseWait), 7);
  REQUIRE(request.size() == sizeof(nlmsghdr) + sizeof(inet_diag_req_v2));
  nlmsghdr header;
  std::memcpy(&header, request.data(), sizeof header);
  CHECK(header.nlmsg_type == SOCK_DIAG_BY_FAMILY);
  CHECK(header.nlmsg_flags == (NLM_F_REQUEST | NLM_F_DUMP));
  CHECK(header.nlmsg_seq == 7u);
  inet_diag_req_v2 req;
  std::memcpy(&req, request.data() + sizeof header, sizeof req);
  CHECK(req.sdiag_family == AF_INET6);
  CHECK(req.sdiag_protocol == IPPROTO_TCP);
  CHECK(req.idiag_states == 1u << 8);
}

TEST_CASE("ParseInetDiagReply reads inodes and states until DONE") {
  std::vector<TcpSocket> got;
  CHECK(ParseInetDiagReply(
            Message(SOCK_DIAG_BY_FAMILY, 11, 1) + Message(SOCK_DIAG_BY_FAMILY, 12, 8, 20), &got) ==
        DiagParse::kMore);
  CHECK(ParseInetDiagReply(Message(SOCK_DIAG_BY_FAMILY, 13, 10) + Done(), &got) ==
        DiagParse::kDone);
  REQUIRE(got.size() == 3);
  CHECK(got[0].inode == 11u);
  CHECK(got[0].state == 1);
  CHECK(got[1].inode == 12u);
  CHECK(got[1].state == 8);
  CHECK(got[2].state == 10);
}

TEST_CASE("ParseInetDiagReply rejects errors and truncated messages") {
  std::vector<TcpSocket> got;
  CHECK(ParseInetDiagReply(Message(NLMSG_ERROR, 1, 1), &got) == DiagParse::kError);
  const std::string whole = Message(SOCK_DIAG_BY_FAMILY, 1, 1);
  CHECK(ParseInetDiagReply(whole.substr(0, whole.size() - 8), &got) == DiagParse::kError);
  CHECK(got.empty());
}

TEST_CASE("InetDiagCompatRequest asks for one dump of both families") {
  const std::string request = InetDiagCompatRequest(TcpStateBit(kTcpListen), 3);
  REQUIRE(request.size() == sizeof(nlmsghdr) + sizeof(inet_diag_req));
  nlmsghdr header;
  std::memcpy(&header, request.data(), sizeof header);
  CHECK(header.nlmsg_type == TCPDIAG_GETSOCK);
  CHECK(header.nlmsg_flags == (NLM_F_REQUEST | NLM_F_DUMP));
  inet_diag_req req;
  std::memcpy(&req, request.data() + sizeof header, sizeof req);
  CHECK(req.idiag_states == 1u << 10);
  std::vector<TcpSocket> got;
  CHECK(ParseInetDiagReply(Message(TCPDIAG_GETSOCK, 21, 10) + Done(), &got) == DiagParse::kDone);
  CHECK(got == std::vector<TcpSocket>{{21, 10}});
}

namespace {

// A listening socket on loopback in `family`, and its inode.
struct Listener {
  explicit Listener(int family) {
    fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_storage storage{};
    socklen_t len = 0;
    if (family == AF_INET) {
      auto* a = reinterpret_cast<sockaddr_in*>(&storage);
      a->sin_family = AF_INET;
      a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      len = sizeof *a;
    } else {
      auto* a = reinterpret_cast<sockaddr_in6*>(&storage);
      a->sin6_family = AF_INET6;
      a->sin6_addr = in6addr_loopback;
      len = sizeof *a;
    }
    bound = ::bind(fd, reinterpret_cast<sockaddr*>(&storage), len) == 0 && ::listen(fd, 1) == 0;
    struct stat st {};
    REQUIRE(::fstat(fd, &st) == 0);
    inode = st.st_ino;
  }
  ~Listener() { ::close(fd); }
  int fd = -1;
  bool bound = false;
  uint64_t inode = 0;
};

bool Holds(const std::vector<TcpSocket>& sockets, uint64_t inode, int state) {
  for (const TcpSocket& s : sockets) {
    if (s.inode == inode && s.state == state) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("DumpTcpSockets finds listeners of this process over IPv4 and IPv6 loopback") {
  Listener v4(AF_INET);
  REQUIRE(v4.bound);
  Listener v6(AF_INET6);  // a host without IPv6 loopback skips that half
  auto sockets = DumpTcpSockets(TcpStateBit(kTcpListen));
  REQUIRE(sockets.ok());
  CHECK(Holds(*sockets, v4.inode, kTcpListen));
  if (v6.bound) CHECK(Holds(*sockets, v6.inode, kTcpListen));
  CHECK_FALSE(Holds(*sockets, v4.inode, kTcpEstablished));
}
