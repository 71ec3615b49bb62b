// SSH-2 transport start (RFC 4253): identification banners, the key exchange in clear binary
// packets, and encrypted packets of realistic size once keys are in use.
#pragma once

#include <string_view>

#include "tools/pcapgen/bytes.h"
#include "tools/pcapgen/rng.h"

namespace vigil::pcapgen {

Bytes ssh_banner(std::string_view software);
Bytes ssh_kexinit(Rng& r, bool server);
// curve25519 key exchange (RFC 8731): the client's ECDH init; the server's reply (RSA host key,
// ssh-rsa signature) followed by its NEWKEYS; the client's NEWKEYS. Encryption starts after.
Bytes ssh_kex_ecdh_init(Rng& r);
Bytes ssh_kex_ecdh_reply_and_newkeys(Rng& r);
Bytes ssh_newkeys();
// One encrypted packet (chacha20-poly1305 framing: 4-byte length, payload, 16-byte MAC).
Bytes ssh_encrypted_packet(Rng& r, std::size_t payload_len);

}  // namespace vigil::pcapgen
