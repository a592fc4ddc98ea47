# Helpers shared by every layer.
#
# sl_add_test(NAME name SOURCES a_test.cc ... LIBS lib ... [LABELS l ...] [TIMEOUT s])
#   One GoogleTest executable, registered with CTest under its own name. Tests live next to
#   the code they test (foo.cc / foo_test.cc).
function(sl_add_test)
  if(NOT STRAIGHTLINE_TESTS)
    return()
  endif()
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main)
  add_test(NAME ${T_NAME} COMMAND ${T_NAME})
  # Tests of the layers that start functions need the worker executables built (found at run
  # time through STRAIGHTLINE_BINARY_DIR; resolved at generate time, since src/worker comes later).
  if("${T_LIBS}" MATCHES "sl_(faas|train|serve|deploy)")
    add_dependencies(${T_NAME} straightline-worker straightline-worker-base)
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  set_tests_properties(${T_NAME} PROPERTIES TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "STRAIGHTLINE_SOURCE_DIR=${PROJECT_SOURCE_DIR};STRAIGHTLINE_BINARY_DIR=${PROJECT_BINARY_DIR}")
  if(T_LABELS)
    set_tests_properties(${T_NAME} PROPERTIES LABELS "${T_LABELS}")
  endif()
endfunction()

# sl_add_cli_test(NAME n SCRIPT path [TIMEOUT s] [LABELS l...] [SKIP_RETURN_CODE c]): a test
# script that drives the
# `straightline` executable, run as `SCRIPT <straightline exe> <source dir>`. The executable is
# defined in src/cli, after the layer folders, so the registration is deferred to the end of the
# top directory (the values are fixed now, when the call is made).
function(sl_add_cli_test)
  if(NOT STRAIGHTLINE_TESTS)
    return()
  endif()
  cmake_parse_arguments(T "" "NAME;SCRIPT;TIMEOUT;SKIP_RETURN_CODE" "LABELS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  if(NOT T_SKIP_RETURN_CODE)
    set(T_SKIP_RETURN_CODE -1)
  endif()
  cmake_language(EVAL CODE "cmake_language(DEFER DIRECTORY [[${CMAKE_SOURCE_DIR}]] CALL \
_sl_register_cli_test [[${T_NAME}]] [[${T_SCRIPT}]] [[${T_TIMEOUT}]] [[${T_LABELS}]] [[${T_SKIP_RETURN_CODE}]])")
endfunction()

function(_sl_register_cli_test name script timeout labels skip_code)
  if(TARGET straightline)
    add_test(NAME ${name} COMMAND ${script} $<TARGET_FILE:straightline> ${PROJECT_SOURCE_DIR})
    set_tests_properties(${name} PROPERTIES TIMEOUT ${timeout} LABELS "${labels}")
    if(NOT skip_code EQUAL -1)
      set_tests_properties(${name} PROPERTIES SKIP_RETURN_CODE ${skip_code})
    endif()
  endif()
endfunction()
