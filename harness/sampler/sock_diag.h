// TCP states of sockets from NETLINK_SOCK_DIAG (inet_diag), not from
// /proc/net/tcp: the kernel filters by state, so the cost follows the
// sockets in the states asked for, and nothing is formatted as text.
//
// The request and reply codecs are pure functions, tested on canned bytes;
// DumpTcpSockets does the I/O. Sockets are those of the caller's network
// namespace (faultline and its targets share one).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "harness/common/status.h"
#include "harness/sampler/procfs.h"

namespace faultline {

/// Kernel TCP state numbers (include/net/tcp_states.h).
inline constexpr int kTcpEstablished = 1;
inline constexpr int kTcpCloseWait = 8;
inline constexpr int kTcpListen = 10;

/// Bit mask of states for inet_diag_req_v2.idiag_states.
constexpr uint32_t TcpStateBit(int state) { return 1u << state; }

/// One netlink message: the compat (TCPDIAG_GETSOCK) dump request, which
/// the kernel answers for IPv4 and IPv6 in one walk of its TCP hash table.
/// That walk costs about 1 ms on a host whose table has 262,144 buckets,
/// however few sockets it holds, so one walk instead of two halves it.
std::string InetDiagCompatRequest(uint32_t states, uint32_t seq);

/// One netlink message: an inet_diag dump request for TCP in `family`
/// (AF_INET or AF_INET6) restricted to `states`.
std::string InetDiagRequest(int family, uint32_t states, uint32_t seq);

/// Appends the sockets of one recv()'d buffer of the dump to `out`.
enum class DiagParse { kMore, kDone, kError };
DiagParse ParseInetDiagReply(std::string_view bytes, std::vector<TcpSocket>* out);

/// Dumps every TCP socket of this network namespace, IPv4 and IPv6, in one
/// of `states` (the compat request; two per-family requests if the kernel
/// refuses it). Unavailable naming the step when netlink fails.
StatusOr<std::vector<TcpSocket>> DumpTcpSockets(uint32_t states);

}  // namespace faultline
