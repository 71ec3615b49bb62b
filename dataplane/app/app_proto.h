// Application-layer protocols Vigil names on a flow (EVE `app_proto`, the `app-layer-protocol`
// keyword, `alert <proto>` rule headers). Stored on the flow as one byte.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace vigil::app {

enum class AppProto : std::uint8_t {
  unknown = 0,  // nothing seen yet (or too little to decide)
  http,
  tls,
  dns,
  ssh,
  smtp,
  ftp,
  failed,       // data in both directions and no protocol recognised: detection gave up
};

// Suricata's names: "http", "tls", "dns", "ssh", "smtp", "ftp", "failed", "unknown".
std::string_view app_proto_name(AppProto p);
// A rule's name for a protocol; "http1" is HTTP/1.x, as in Suricata 7. nullopt when Vigil has no
// detector for it (such rules never match a flow).
std::optional<AppProto> app_proto_from_name(std::string_view name);

}  // namespace vigil::app
