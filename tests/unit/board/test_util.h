// Helpers for the board tests: a small valid board and text edits of it.
#pragma once

#include <CppUTest/TestHarness.h>

#include <string>

#include "control/board/board_config.h"

namespace vigil::board::test {

// Line numbers in the tests refer to this text (line 1 = name).
inline const char* const kBase =
    "name = \"t\"\n"               // 1
    "[eal]\n"                      // 2
    "main_lcore = 0\n"             // 3
    "[[port]]\n"                   // 4
    "name = \"lan0\"\n"            // 5
    "pci = \"0000:3b:00.0\"\n"     // 6
    "role = \"inline\"\n"          // 7
    "peer = \"wan0\"\n"            // 8
    "[[port]]\n"                   // 9
    "name = \"wan0\"\n"            // 10
    "pci = \"0000:3b:00.1\"\n"     // 11
    "role = \"inline\"\n"          // 12
    "peer = \"lan0\"\n"            // 13
    "[[port]]\n"                   // 14
    "name = \"mon0\"\n"            // 15
    "vdev = \"net_ring0\"\n"       // 16
    "role = \"monitor\"\n"         // 17
    "[workers]\n"                  // 18
    "lcores = [1, 2]\n"            // 19
    "[mempool]\n"                  // 20
    "mbufs = 16383\n"              // 21
    "[rings]\n"                    // 22
    "size = 1024\n";               // 23

// kBase with the first `from` replaced by `to` (the test fails if `from` is absent).
inline std::string edit(const std::string& text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  CHECK_TEXT(at != std::string::npos, from.c_str());
  std::string out = text;
  out.replace(at, from.size(), to);
  return out;
}

inline std::string edit(const std::string& from, const std::string& to) {
  return edit(kBase, from, to);
}

// The error of parsing `text` (the test fails if it parses).
inline std::string error_of(const std::string& text) {
  BoardConfig b;
  std::string err;
  CHECK_FALSE_TEXT(parse_board(text, "board.toml", b, err), text.c_str());
  return err;
}

inline BoardConfig parse_ok(const std::string& text) {
  BoardConfig b;
  std::string err;
  CHECK_TEXT(parse_board(text, "board.toml", b, err), err.c_str());
  return b;
}

}  // namespace vigil::board::test
