// Builds DNS messages byte by byte for the tests: a header, then names, fields and records.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

// Compares a string_view with a C string in CppUTest's terms.
#define SV_EQUAL(expected, actual) STRCMP_EQUAL(expected, std::string(actual).c_str())

namespace vigil::app::dns::test {

struct Msg {
  std::vector<std::uint8_t> b;

  Msg& u8(unsigned v) {
    b.push_back(static_cast<std::uint8_t>(v));
    return *this;
  }
  Msg& u16(unsigned v) { return u8(v >> 8).u8(v); }
  Msg& u32(std::uint32_t v) { return u16(v >> 16).u16(v & 0xffff); }
  Msg& bytes(std::initializer_list<unsigned> v) {
    for (unsigned x : v) u8(x);
    return *this;
  }
  Msg& raw(std::string_view s) {
    for (char c : s) u8(static_cast<unsigned char>(c));
    return *this;
  }
  Msg& header(unsigned id, unsigned flags, unsigned qd, unsigned an = 0, unsigned ns = 0,
              unsigned ar = 0) {
    return u16(id).u16(flags).u16(qd).u16(an).u16(ns).u16(ar);
  }
  // "www.example.com" as labels and the root; "" is the root alone.
  Msg& name(std::string_view dotted) {
    labels(dotted);
    return u8(0);
  }
  // Labels without the terminating root (to be followed by ptr()).
  Msg& labels(std::string_view dotted) {
    while (!dotted.empty()) {
      const std::size_t dot = dotted.find('.');
      const std::string_view label = dotted.substr(0, dot);
      u8(static_cast<unsigned>(label.size()));
      raw(label);
      if (dot == std::string_view::npos) break;
      dotted.remove_prefix(dot + 1);
    }
    return *this;
  }
  Msg& ptr(unsigned offset) { return u8(0xc0 | (offset >> 8)).u8(offset & 0xff); }
  Msg& question(std::string_view n, unsigned type = 1, unsigned klass = 1) {
    return name(n).u16(type).u16(klass);
  }
  // Type, class, ttl; then rdata via rd_begin()/rd_end() (which patches rdlength).
  Msg& rr_fields(unsigned type, std::uint32_t ttl = 300, unsigned klass = 1) {
    return u16(type).u16(klass).u32(ttl);
  }
  std::size_t rd_at = 0;
  Msg& rd_begin() {
    rd_at = b.size();
    return u16(0);
  }
  Msg& rd_end() {
    const std::size_t len = b.size() - rd_at - 2;
    b[rd_at] = static_cast<std::uint8_t>(len >> 8);
    b[rd_at + 1] = static_cast<std::uint8_t>(len);
    return *this;
  }
  // A full A record with the owner name as a pointer.
  Msg& a_rr(unsigned owner_ptr, std::initializer_list<unsigned> addr, std::uint32_t ttl = 60) {
    ptr(owner_ptr).rr_fields(1, ttl).rd_begin().bytes(addr).rd_end();
    return *this;
  }
  Msg& set_u16(std::size_t at, unsigned v) {
    b[at] = static_cast<std::uint8_t>(v >> 8);
    b[at + 1] = static_cast<std::uint8_t>(v);
    return *this;
  }
  std::size_t size() const { return b.size(); }
  std::span<const std::uint8_t> span() const { return b; }
  // With the 2-byte TCP length prefix.
  std::vector<std::uint8_t> tcp() const {
    std::vector<std::uint8_t> out{static_cast<std::uint8_t>(b.size() >> 8),
                                  static_cast<std::uint8_t>(b.size())};
    out.insert(out.end(), b.begin(), b.end());
    return out;
  }
};

inline std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace vigil::app::dns::test
