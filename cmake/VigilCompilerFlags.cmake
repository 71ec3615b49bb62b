# Warnings are errors in spirit: the tree builds with zero warnings under -Wall -Wextra.
# -Wmissing-field-initializers is off: it fires on every C++20 designated initializer that leaves
# members at their default member initializers, which is how configs and test specs are written.
add_compile_options(-Wall -Wextra -Wshadow=local -Wno-missing-field-initializers)
if(CMAKE_BUILD_TYPE MATCHES "Rel")
  # The dataplane targets one machine class; SSE4.2 is what Hyperscan and DPDK's default build need.
  add_compile_options(-msse4.2)
endif()

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
  set(CMAKE_C_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
endif()

if(VIGIL_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
