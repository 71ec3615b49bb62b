#include "tools/pcapgen/app/ssh.h"

#include <string>

namespace vigil::pcapgen {

namespace {

void put_string(Bytes& b, std::span<const std::uint8_t> s) {
  put_be32(b, static_cast<std::uint32_t>(s.size()));
  put_bytes(b, s);
}

Bytes random_bytes(Rng& r, std::size_t n) {
  Bytes b(n);
  fill_random(r, b);
  return b;
}

// Unencrypted binary packet: length, padding length, payload, padding (>= 4 bytes, total a
// multiple of the 8-byte minimum block size).
Bytes binary_packet(const Bytes& payload) {
  std::size_t padding = 8 - (5 + payload.size()) % 8;
  if (padding < 4) padding += 8;
  Bytes b;
  put_be32(b, static_cast<std::uint32_t>(1 + payload.size() + padding));
  put_u8(b, static_cast<std::uint8_t>(padding));
  put_bytes(b, payload);
  put_zeros(b, padding);
  return b;
}

}  // namespace

Bytes ssh_banner(std::string_view software) {
  Bytes b;
  put_text(b, "SSH-2.0-");
  put_text(b, software);
  put_text(b, "\r\n");
  return b;
}

Bytes ssh_kexinit(Rng& r, bool server) {
  static constexpr std::string_view kLists[] = {
      "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,diffie-hellman-group16-sha512",
      "rsa-sha2-512,rsa-sha2-256,ssh-rsa,ecdsa-sha2-nistp256,ssh-ed25519",
      "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com",
      "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com",
      "umac-64-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com",
      "umac-64-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com",
      "none,zlib@openssh.com",
      "none,zlib@openssh.com",
      "",
      ""};
  Bytes payload;
  put_u8(payload, 20);  // SSH_MSG_KEXINIT
  Bytes cookie(16);
  fill_random(r, cookie);
  put_bytes(payload, cookie);
  for (std::size_t i = 0; i < std::size(kLists); ++i) {
    std::string list(kLists[i]);
    if (i == 0 && !server) list += ",ext-info-c";
    put_string(payload, as_bytes(list));
  }
  put_u8(payload, 0);   // first_kex_packet_follows
  put_be32(payload, 0); // reserved
  return binary_packet(payload);
}

Bytes ssh_kex_ecdh_init(Rng& r) {
  Bytes payload;
  put_u8(payload, 30);  // SSH_MSG_KEX_ECDH_INIT
  put_string(payload, random_bytes(r, 32));
  return binary_packet(payload);
}

Bytes ssh_kex_ecdh_reply_and_newkeys(Rng& r) {
  // A 2048-bit RSA host key: exponent 65537, a modulus with its top bit set (hence the mpint's
  // leading zero byte).
  Bytes modulus = random_bytes(r, 256);
  modulus[0] |= 0x80;
  modulus.insert(modulus.begin(), 0);
  Bytes host_key;
  put_string(host_key, as_bytes("ssh-rsa"));
  put_string(host_key, Bytes{0x01, 0x00, 0x01});
  put_string(host_key, modulus);
  Bytes signature;
  put_string(signature, as_bytes("ssh-rsa"));  // an OpenSSH 7 server signing for a client that offered ssh-rsa
  put_string(signature, random_bytes(r, 256));
  Bytes payload;
  put_u8(payload, 31);  // SSH_MSG_KEX_ECDH_REPLY
  put_string(payload, host_key);
  put_string(payload, random_bytes(r, 32));
  put_string(payload, signature);
  Bytes out = binary_packet(payload);
  put_bytes(out, ssh_newkeys());
  return out;
}

Bytes ssh_newkeys() { return binary_packet(Bytes{21}); }

Bytes ssh_encrypted_packet(Rng& r, std::size_t payload_len) {
  const std::size_t body = (payload_len + 1 + 4 + 7) / 8 * 8;
  Bytes b(4 + body + 16);
  fill_random(r, b);
  return b;
}

}  // namespace vigil::pcapgen
