# Helpers that register Wirelab's tests with CTest, so every component does it the same way.
#
#   wirelab_unit_test(NAME SOURCES a.c b.c LIBS lib [LABELS l])   a cmocka test program
#   wirelab_script_test(NAME SCRIPT path [ARGS ...] [LABELS l])    an integration script
#   wirelab_fuzzer(NAME SOURCES f.c LIBS lib CORPUS dir)           a libFuzzer target (fuzz tree)
#
# Scripts get WIRELAB_BIN (where the programs are) and WIRELAB_SOURCE (the repo) in their
# environment, and run from a scratch directory of their own under the build tree.

function(wirelab_unit_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE PkgConfig::CMOCKA ${T_LIBS})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS "unit;${T_LABELS}" TIMEOUT 600)
endfunction()

function(wirelab_script_test name)
  cmake_parse_arguments(T "" "SCRIPT;TIMEOUT" "ARGS;LABELS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  set(work ${CMAKE_BINARY_DIR}/tests/work/${name})
  file(MAKE_DIRECTORY ${work})
  add_test(NAME ${name} COMMAND bash ${T_SCRIPT} ${T_ARGS} WORKING_DIRECTORY ${work})
  set_tests_properties(${name} PROPERTIES
    LABELS "integration;${T_LABELS}" TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "WIRELAB_BIN=${CMAKE_BINARY_DIR}/bin;WIRELAB_SOURCE=${CMAKE_SOURCE_DIR};WIRELAB_BUILD=${CMAKE_BINARY_DIR}")
endfunction()

function(wirelab_fuzzer name)
  if(NOT WIRELAB_FUZZ)
    return()
  endif()
  cmake_parse_arguments(T "" "CORPUS" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS})
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
  # Fuzz into a scratch copy so the seed corpus in the repo stays small and reviewed.
  set(scratch ${CMAKE_BINARY_DIR}/fuzz/${name}.corpus)
  add_test(NAME ${name}
    COMMAND sh -c "mkdir -p '${scratch}' && exec '$<TARGET_FILE:${name}>' -max_total_time=${WIRELAB_FUZZ_SECONDS} -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 '${scratch}' '${T_CORPUS}'")
  set_tests_properties(${name} PROPERTIES LABELS "fuzz" TIMEOUT 600)
endfunction()
