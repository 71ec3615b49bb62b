# Every dependency comes from Debian 12 packages; see docs/dependencies.md for why each was chosen.
find_package(PkgConfig REQUIRED)
pkg_check_modules(DPDK REQUIRED IMPORTED_TARGET libdpdk>=22.11)
pkg_check_modules(PCAP REQUIRED IMPORTED_TARGET libpcap)
pkg_check_modules(CPPUTEST IMPORTED_TARGET cpputest)
find_package(Boost 1.74 REQUIRED)              # header-only: Boost.Lockfree
find_package(nlohmann_json 3.11 REQUIRED)      # JSON (EVE output, config)
find_package(CLI11 REQUIRED)                   # command-line parsing
find_package(Threads REQUIRED)
pkg_check_modules(HYPERSCAN REQUIRED IMPORTED_TARGET libhs)   # multi-pattern prefilter (detection)

# Debian's mbedTLS 2.28 ships no pkg-config file or CMake config: find the three libraries by hand.
find_path(MBEDTLS_INCLUDE_DIR mbedtls/ssl.h REQUIRED)
find_library(MBEDTLS_LIB mbedtls REQUIRED)
find_library(MBEDX509_LIB mbedx509 REQUIRED)
find_library(MBEDCRYPTO_LIB mbedcrypto REQUIRED)
add_library(vigil_mbedtls INTERFACE)
target_include_directories(vigil_mbedtls INTERFACE ${MBEDTLS_INCLUDE_DIR})
target_link_libraries(vigil_mbedtls INTERFACE ${MBEDTLS_LIB} ${MBEDX509_LIB} ${MBEDCRYPTO_LIB})
pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)     # pcre keyword (detection), JIT
find_package(ZLIB REQUIRED)                                      # HTTP gzip / deflate bodies
pkg_check_modules(LZMA REQUIRED IMPORTED_TARGET liblzma)         # HTTP lzma bodies (opt-in)
pkg_check_modules(TOMLPLUSPLUS REQUIRED IMPORTED_TARGET tomlplusplus)  # board and appliance config files
