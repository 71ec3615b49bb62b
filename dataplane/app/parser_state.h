// The room a protocol parser's per-flow state has: each flow with an application protocol gets
// one fixed-size slot from its worker's preallocated pool, and the parser's state lives in it.
// Parsers static_assert that their state fits, so the packet path never allocates for a flow.
#pragma once

#include <cstddef>

namespace vigil::app {

inline constexpr std::size_t kParserStateBytes = 32 * 1024;

}  // namespace vigil::app
