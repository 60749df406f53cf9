#include "harness/sampler/sock_diag.h"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace faultline {

std::string InetDiagCompatRequest(uint32_t states, uint32_t seq) {
  struct {
    nlmsghdr header;
    inet_diag_req request;
  } message{};
  message.header.nlmsg_len = sizeof message;
  message.header.nlmsg_type = TCPDIAG_GETSOCK;
  message.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  message.header.nlmsg_seq = seq;
  message.request.idiag_family = AF_INET;  // the kernel walks both families for this request
  message.request.idiag_states = states;
  return std::string(reinterpret_cast<const char*>(&message), sizeof message);
}

std::string InetDiagRequest(int family, uint32_t states, uint32_t seq) {
  struct {
    nlmsghdr header;
    inet_diag_req_v2 request;
  } message{};
  message.header.nlmsg_len = sizeof message;
  message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  message.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  message.header.nlmsg_seq = seq;
  message.request.sdiag_family = static_cast<uint8_t>(family);
  message.request.sdiag_protocol = IPPROTO_TCP;
  message.request.idiag_states = states;
  return std::string(reinterpret_cast<const char*>(&message), sizeof message);
}

DiagParse ParseInetDiagReply(std::string_view bytes, std::vector<TcpSocket>* out) {
  while (bytes.size() >= sizeof(nlmsghdr)) {
    nlmsghdr header;
    std::memcpy(&header, bytes.data(), sizeof header);
    if (header.nlmsg_len < sizeof header || header.nlmsg_len > bytes.size())
      return DiagParse::kError;
    if (header.nlmsg_type == NLMSG_DONE) return DiagParse::kDone;
    if (header.nlmsg_type == NLMSG_ERROR) return DiagParse::kError;
    if (header.nlmsg_type == SOCK_DIAG_BY_FAMILY || header.nlmsg_type == TCPDIAG_GETSOCK) {
      if (header.nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg))) return DiagParse::kError;
      inet_diag_msg msg;
      std::memcpy(&msg, bytes.data() + NLMSG_HDRLEN, sizeof msg);
      out->push_back(TcpSocket{msg.idiag_inode, msg.idiag_state});
    }
    const size_t step = NLMSG_ALIGN(header.nlmsg_len);
    bytes.remove_prefix(step < bytes.size() ? step : bytes.size());
  }
  return bytes.empty() ? DiagParse::kMore : DiagParse::kError;
}

namespace {

// Sends `request` and appends every socket of the reply to `out`.
Status Dump(int fd, const std::string& request, std::vector<TcpSocket>* out) {
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd, request.data(), request.size(), 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof kernel) < 0) {
    return Status::Unavailable(std::string("inet_diag: send dump request: ") +
                               std::strerror(errno));
  }
  alignas(nlmsghdr) static thread_local char buf[64 * 1024];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return Status::Unavailable(std::string("inet_diag: read dump: ") + std::strerror(errno));
    switch (ParseInetDiagReply(std::string_view(buf, static_cast<size_t>(n)), out)) {
      case DiagParse::kDone:
        return Status::Ok();
      case DiagParse::kError:
        return Status::Unavailable("inet_diag: malformed or error reply");
      case DiagParse::kMore:
        break;
    }
  }
}

}  // namespace

StatusOr<std::vector<TcpSocket>> DumpTcpSockets(uint32_t states) {
  int fd = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0)
    return Status::Unavailable(std::string("inet_diag: open netlink socket: ") +
                               std::strerror(errno));
  std::vector<TcpSocket> out;
  // One walk of the kernel's TCP hash for both families; a kernel without the
  // compat request gets one walk per family.
  Status s = Dump(fd, InetDiagCompatRequest(states, 1), &out);
  if (!s.ok()) {
    out.clear();
    s = Dump(fd, InetDiagRequest(AF_INET, states, 2), &out);
    if (s.ok()) s = Dump(fd, InetDiagRequest(AF_INET6, states, 3), &out);
  }
  ::close(fd);
  if (!s.ok()) return s;
  return out;
}

}  // namespace faultline
