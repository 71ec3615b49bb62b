#include "dataplane/decode/decode_events.h"

namespace vigil {

namespace {
constexpr std::string_view kNames[] = {VIGIL_DECODE_EVENTS(VIGIL_COUNTER_NAME)};
static_assert(std::size(kNames) == kDecodeEventCount);
}  // namespace

std::string_view decode_event_name(DecodeEvent e) {
  return counter_name(kNames, static_cast<std::size_t>(e), "decoder.unknown_event");
}

}  // namespace vigil
