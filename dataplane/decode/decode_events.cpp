#include "dataplane/decode/decode_events.h"

namespace vigil {

namespace {
constexpr std::string_view kNames[] = {
#define VIGIL_X(e, n) n,
    VIGIL_DECODE_EVENTS(VIGIL_X)
#undef VIGIL_X
};
static_assert(std::size(kNames) == kDecodeEventCount);
}  // namespace

std::string_view decode_event_name(DecodeEvent e) {
  auto i = static_cast<std::size_t>(e);
  return i < kDecodeEventCount ? kNames[i] : std::string_view{"decoder.unknown_event"};
}

}  // namespace vigil
