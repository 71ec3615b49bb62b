// The local control socket (a Unix stream socket): one request line per connection, one JSON
// answer, then close. Polled from the control loop; never blocks it for long.
#pragma once

#include <functional>
#include <string>

namespace vigil::appliance {

class ControlSocket {
 public:
  using Handler = std::function<std::string(const std::string& request)>;
  // Binds `path` (an old socket file there is replaced). false + err.
  bool open(const std::string& path, std::string& err);
  ~ControlSocket();
  // Waits up to timeout_ms for a client; serves at most one request.
  void poll_once(int timeout_ms, const Handler& handler);

 private:
  int fd_ = -1;
  std::string path_;
};

// Client side, for vigilctl: sends `request`, returns the answer. false + err.
bool control_request(const std::string& path, const std::string& request, std::string& answer,
                     std::string& err);

}  // namespace vigil::appliance
