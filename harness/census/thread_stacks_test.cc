#include "harness/census/thread_stacks.h"

#include <doctest/doctest.h>

namespace faultline {

TEST_CASE("census groups identical stacks and sorts them by count") {
  std::vector<ThreadStack> threads = {
      {1, "S", "poll", {"poll", "f"}},  {2, "S", "futex", {"futex_wait", "g"}},
      {3, "S", "poll", {"poll", "f"}},  {4, "R", "", {"h"}},
      {5, "S", "poll", {"poll", "f"}},  {6, "S", "futex", {"futex_wait", "g"}},
  };
  std::vector<CensusGroup> groups = GroupStacks(threads);
  REQUIRE(groups.size() == 3);
  CHECK(groups[0] == CensusGroup{3, "S", "poll", {"poll", "f"}});
  CHECK(groups[1] == CensusGroup{2, "S", "futex", {"futex_wait", "g"}});
  CHECK(groups[2] == CensusGroup{1, "R", "", {"h"}});
}

TEST_CASE("census merges goroutine groups with the same frames") {
  std::vector<CensusGroup> groups = MergeGroups({{2, "", "", {"a", "b"}}, {5, "", "", {"c"}},
                                                 {4, "", "", {"a", "b"}}});
  REQUIRE(groups.size() == 2);
  CHECK(groups[0].count == 6);
  CHECK(groups[1].count == 5);
}

// After one census, the threads it stopped in poll read restart_syscall
// (219) in /proc: the flagship's 297 held threads showed as 199 + 98.
TEST_CASE("census counts threads resumed by restart_syscall with those in the call") {
  std::vector<CensusGroup> groups =
      MergeGroups({{199, "S", "poll", {"__poll", "select_read"}},
                   {98, "S", "restart_syscall", {"__poll", "select_read"}},
                   {3, "S", "restart_syscall", {"clock_nanosleep", "main"}}});
  REQUIRE(groups.size() == 2);
  CHECK(groups[0] == CensusGroup{297, "S", "poll", {"__poll", "select_read"}});
  CHECK(groups[1] == CensusGroup{3, "S", "restart_syscall", {"clock_nanosleep", "main"}});
  CHECK(SyscallFromProc("219 0x0 0x0 0x0 0x0 0x0 0x0 0x7ffd 0x7f12") == "restart_syscall");
}

TEST_CASE("census reads the state letter from a stat line") {
  CHECK(StatState("42 (orders) S 1 42 42 0") == "S");
  CHECK(StatState("42 (a) b) c) t 1 42") == "t");
  CHECK(StatState("42 (broken") == std::nullopt);
  CHECK(StatState("") == std::nullopt);
}

TEST_CASE("census names the syscall of a syscall line") {
  CHECK(SyscallFromProc("7 0x7ffd 0x1 0xffffffff 0x0 0x0 0x0 0x7ffd 0x7f12\n") == "poll");
  CHECK(SyscallFromProc("202 0x1 0x80 0x0 0x0 0x0 0x0 0x7ffd 0x7f12") == "futex");
  CHECK(SyscallFromProc("999 0x1 0x80 0x0 0x0 0x0 0x0 0x7ffd 0x7f12") == "syscall 999");
  CHECK(SyscallFromProc("running\n") == "");
  CHECK(SyscallFromProc("") == "unknown");  // /proc/TID/syscall not readable (another user)
  CHECK(SyscallFromProc("-1 0x7ffd 0x7f12") == "none");
  CHECK(SyscallFromProc("garbage") == "");
}

TEST_CASE("census drops parameter lists from demangled names") {
  CHECK(WithoutParameters("httplib::ClientImpl::read_response_line(httplib::Stream&, "
                          "httplib::Response&)") == "httplib::ClientImpl::read_response_line");
  CHECK(WithoutParameters("ns::C::f(int) const") == "ns::C::f");
  CHECK(WithoutParameters("std::vector<int>::push_back(int const&)") ==
        "std::vector<int>::push_back");
  CHECK(WithoutParameters("(anonymous namespace)::Run") == "(anonymous namespace)::Run");
  CHECK(WithoutParameters("(anonymous namespace)::Run(int)") == "(anonymous namespace)::Run");
  CHECK(WithoutParameters("poll") == "poll");
}

TEST_CASE("census demangles C++ symbols and keeps C ones") {
  CHECK(FunctionName("_ZN4held10WaitInPollEi") == "held::WaitInPoll");
  CHECK(FunctionName("__poll") == "__poll");
  CHECK(FunctionName("_Znot_really") == "_Znot_really");
  CHECK(FunctionName(nullptr) == "??");
}

TEST_CASE("census frames match a substring or a glob over the joined frames") {
  CensusGroup g{7, "S", "poll", {"__poll", "httplib::detail::select_read (httplib.h:2000)",
                                 "orders::InventoryClient::Get (orders.cc:84)"}};
  CHECK(CensusFramesMatch(g, "InventoryClient::Get"));
  CHECK_FALSE(CensusFramesMatch(g, "PaymentClient"));
  CHECK(CensusFramesMatch(g, "*select_read*InventoryClient*"));
  CHECK_FALSE(CensusFramesMatch(g, "*InventoryClient*select_read*"));
  CHECK_FALSE(CensusFramesMatch(g, "select_read*"));  // a glob is anchored to the whole text
  CHECK(CensusFramesMatch(g, "__poll*"));
  CHECK_FALSE(CensusFramesMatch(g, "__p?ll\nhttplib"));  // no '*' at either end: a substring
  // Only '*' is special: Go's generics and C++'s operator[] are literal.
  CensusGroup go{200, "", "", {"main.(*Box[...]).Wait (box.go:12)", "main.main.func1 (main.go:9)"}};
  CHECK(CensusFramesMatch(go, "main.(*Box[...]).Wait*"));
  CHECK(CensusFramesMatch(go, "*Box[...]*func1*"));
  CHECK_FALSE(CensusFramesMatch(go, "main.(*Box[.]).Wait*"));
  CHECK_FALSE(CensusFramesMatch(go, "*Box?...]*"));  // '?' is literal too
  CHECK(CensusFramesMatch(go, "**"));
  Census c;
  c.groups = {g, {3, "S", "futex", {"futex_wait"}}, {2, "S", "poll", {"__poll", "Other::Get"}}};
  CHECK(CountMatching(c, "__poll") == 9);
  CHECK(CountMatching(c, "InventoryClient") == 7);
  CHECK(CountMatching(c, "nothing") == 0);
}

TEST_CASE("census stack line shows function names and the last frame's place") {
  CensusGroup g{7, "S", "poll", {"__poll (poll.c:29)", "select_read (httplib.h:2000)",
                                 "Get (orders.cc:84)"}};
  CHECK(StackLine(g) == "__poll \u2190 select_read \u2190 Get (orders.cc:84)");
  CHECK(StackLine(g, 2) == "__poll \u2190 select_read (httplib.h:2000) \u2190 \u2026");
  CHECK(StackLine(CensusGroup{}) == "(no stack)");
}

}  // namespace faultline
