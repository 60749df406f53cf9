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

TEST_CASE("DumpTcpSockets finds a listener of this process over loopback") {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd, 1) == 0);
  struct stat st {};
  REQUIRE(::fstat(fd, &st) == 0);
  auto sockets = DumpTcpSockets(TcpStateBit(kTcpListen));
  ::close(fd);
  REQUIRE(sockets.ok());
  bool found = false;
  for (const TcpSocket& s : *sockets)
    found = found || (s.inode == st.st_ino && s.state == kTcpListen);
  CHECK(found);
}
