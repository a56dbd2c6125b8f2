# quire_module(NAME SOURCES ... PUBLIC_DEPS ... PRIVATE_DEPS ...)
#
# Declares the library target quire_<NAME> (alias quire::<NAME>) for the module in the
# current directory: public headers in include/quire/<NAME>/, sources in src/.
function(quire_module name)
  cmake_parse_arguments(arg "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(quire_${name} ${arg_SOURCES})
  add_library(quire::${name} ALIAS quire_${name})
  target_include_directories(quire_${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
                                           PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_link_libraries(quire_${name}
    PUBLIC ${arg_PUBLIC_DEPS}
    PRIVATE ${arg_PRIVATE_DEPS} quire_warnings quire_sanitizers)
endfunction()

# quire_placeholder_module(NAME): a module whose issue has not been built yet. It is an
# INTERFACE target with no code, so the layout and link graph exist from the start.
function(quire_placeholder_module name)
  add_library(quire_${name} INTERFACE)
  add_library(quire::${name} ALIAS quire_${name})
endfunction()

# quire_test(NAME SOURCES ... DEPS ...): one GoogleTest binary registered with ctest.
function(quire_test name)
  cmake_parse_arguments(arg "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${arg_SOURCES})
  target_link_libraries(${name} PRIVATE ${arg_DEPS} quire::testing GTest::gtest GTest::gmock
                                        GTest::gtest_main quire_warnings quire_sanitizers)
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 300)
endfunction()

# quire_embed_file(FILE TEMPLATE OUTPUT VARIABLE)
#
# Compiles a data file (a schema, an API description) into a source file: the template's
# @VARIABLE@ is replaced by the file's text, and the build reconfigures when the file
# changes. Nothing is then read from disk at run time.
function(quire_embed_file file template output variable)
  file(READ ${file} ${variable})
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${file})
  configure_file(${template} ${output} @ONLY)
endfunction()
