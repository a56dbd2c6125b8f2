# Compiler warnings and sanitizers as INTERFACE targets: every Quire target links them
# PRIVATE, so they never leak into consumers' flags or onto third-party code.

add_library(quire_warnings INTERFACE)
target_compile_options(quire_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough)
if(QUIRE_WERROR)
  target_compile_options(quire_warnings INTERFACE -Werror)
endif()

add_library(quire_sanitizers INTERFACE)
if(QUIRE_SANITIZE)
  list(JOIN QUIRE_SANITIZE "," _quire_sanitizers)
  target_compile_options(quire_sanitizers INTERFACE
    -fsanitize=${_quire_sanitizers} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(quire_sanitizers INTERFACE -fsanitize=${_quire_sanitizers})
endif()

# The allocator of Quire's programs. glibc's malloc spends a sixth of a durable task round
# trip in malloc/free (RocksDB memtable inserts, JSON records, callbacks handed between
# threads); jemalloc, which RocksDB itself recommends, made claim+complete ~29 % faster
# (docs/benchmarks.md). Programs link it; libraries never do. Left out under sanitizers,
# which bring their own allocator.
add_library(quire_allocator INTERFACE)
if(NOT QUIRE_SANITIZE)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)
  target_link_libraries(quire_allocator INTERFACE PkgConfig::JEMALLOC)
endif()
