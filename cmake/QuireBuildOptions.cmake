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
