#include "dataplane/app/app_proto.h"

namespace vigil::app {

std::string_view app_proto_name(AppProto p) {
  switch (p) {
    case AppProto::unknown: return "unknown";
    case AppProto::http: return "http";
    case AppProto::tls: return "tls";
    case AppProto::dns: return "dns";
    case AppProto::ssh: return "ssh";
    case AppProto::smtp: return "smtp";
    case AppProto::ftp: return "ftp";
    case AppProto::failed: return "failed";
  }
  return "unknown";
}

std::optional<AppProto> app_proto_from_name(std::string_view name) {
  if (name == "http" || name == "http1") return AppProto::http;
  if (name == "tls") return AppProto::tls;
  if (name == "dns") return AppProto::dns;
  if (name == "ssh") return AppProto::ssh;
  if (name == "smtp") return AppProto::smtp;
  if (name == "ftp") return AppProto::ftp;
  if (name == "failed") return AppProto::failed;
  if (name == "unknown") return AppProto::unknown;
  return std::nullopt;
}

}  // namespace vigil::app
