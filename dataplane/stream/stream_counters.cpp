#include "dataplane/stream/stream_counters.h"

namespace vigil {

namespace {
constexpr std::string_view kNames[] = {VIGIL_STREAM_COUNTERS(VIGIL_COUNTER_NAME)};
static_assert(std::size(kNames) == kStreamCounterCount);
}  // namespace

std::string_view stream_counter_name(StreamCounter c) {
  return counter_name(kNames, static_cast<std::size_t>(c), "stream.unknown_counter");
}

}  // namespace vigil
