// JsonText: builds one JSON object's text in a fixed buffer without allocating, for the EVE
// records the app layer hands to the control plane (http, dns, tls objects). Strings are escaped
// as Suricata's EVE does: quote, backslash and control characters escaped, bytes that are not
// printable ASCII written as \u00XX. A record that does not fit is marked overflowed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace vigil::app {

class JsonText {
 public:
  JsonText(char* buf, std::size_t cap) : buf_(buf), cap_(cap) {}

  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }
  // A member key inside an object (writes the separating comma).
  void key(std::string_view k);
  void string(std::span<const std::uint8_t> bytes);
  void string(std::string_view s) {
    string(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
  }
  void number(std::uint64_t v);
  void boolean(bool v) { value_prefix(); raw(v ? "true" : "false"); }

  void member(std::string_view k, std::string_view s) { key(k); string(s); }
  void member(std::string_view k, std::span<const std::uint8_t> s) { key(k); string(s); }
  void member_number(std::string_view k, std::uint64_t v) { key(k); number(v); }
  void member_bool(std::string_view k, bool v) { key(k); boolean(v); }

  std::string_view text() const { return {buf_, len_}; }
  bool overflowed() const { return overflow_; }

 private:
  void open(char c);
  void close(char c);
  void value_prefix();
  void raw(std::string_view s);
  void put(char c) {
    if (len_ < cap_) buf_[len_++] = c; else overflow_ = true;
  }

  char* buf_;
  std::size_t cap_, len_ = 0;
  bool overflow_ = false;
  bool need_comma_ = false;  // a value was written at the current nesting level
  bool after_key_ = false;
};

}  // namespace vigil::app
