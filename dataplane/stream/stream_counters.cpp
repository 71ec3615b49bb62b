#include "dataplane/stream/stream_counters.h"

namespace vigil {

namespace {
constexpr std::string_view kNames[] = {
#define VIGIL_X(e, n) n,
    VIGIL_STREAM_COUNTERS(VIGIL_X)
#undef VIGIL_X
};
static_assert(std::size(kNames) == kStreamCounterCount);
}  // namespace

std::string_view stream_counter_name(StreamCounter c) {
  auto i = static_cast<std::size_t>(c);
  return i < kStreamCounterCount ? kNames[i] : std::string_view{"stream.unknown_counter"};
}

}  // namespace vigil
