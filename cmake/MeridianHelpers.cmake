# meridian_library(NAME SOURCES ... [DEPS ...] [PRIVATE_DEPS ...])
# One directory = one library. Headers are included as "common/x/y.h" or
# "services/x/y.h", so the include root is the source tree.
function(meridian_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

# meridian_test(NAME SOURCES ... DEPS ...): a GoogleTest binary registered with CTest.
function(meridian_test name)
  if(NOT MERIDIAN_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  # Where tests find the programs and their data (also overridable by the
  # environment variables MERIDIAN_BIN_DIR / MERIDIAN_SOURCE_DIR).
  target_compile_definitions(${name} PRIVATE
    MERIDIAN_TEST_BIN_DIR="${CMAKE_BINARY_DIR}/bin"
    MERIDIAN_TEST_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  set(props TIMEOUT ${ARG_TIMEOUT}
    ENVIRONMENT "MERIDIAN_BIN_DIR=${CMAKE_BINARY_DIR}/bin")
  if(ARG_LABELS)
    list(APPEND props LABELS "${ARG_LABELS}")
  endif()
  gtest_discover_tests(${name} TEST_PREFIX "${name}." DISCOVERY_TIMEOUT 60 PROPERTIES ${props})
endfunction()

# meridian_benchmark(NAME SOURCES ... DEPS ...): a Google Benchmark binary (not a test).
function(meridian_benchmark name)
  if(NOT MERIDIAN_BUILD_BENCHMARKS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/bench")
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} benchmark::benchmark benchmark::benchmark_main)
endfunction()

# meridian_proto_library(NAME PROTO file.proto [GRPC] [DEPS ...]): protobuf (+gRPC)
# codegen into the build tree, one library per .proto. Generated headers are
# included as "meridian/<area>/v1/<name>.pb.h".
function(meridian_proto_library name)
  cmake_parse_arguments(ARG "GRPC" "PROTO" "DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_PROTO})
  target_link_libraries(${name} PUBLIC protobuf::libprotobuf ${ARG_DEPS})
  set(out "${PROJECT_BINARY_DIR}/proto_gen")
  file(MAKE_DIRECTORY "${out}")
  target_include_directories(${name} PUBLIC "${out}")
  protobuf_generate(TARGET ${name} LANGUAGE cpp
    IMPORT_DIRS "${PROJECT_SOURCE_DIR}/proto" PROTOC_OUT_DIR "${out}")
  if(ARG_GRPC)
    target_link_libraries(${name} PUBLIC gRPC::grpc++)
    protobuf_generate(TARGET ${name} LANGUAGE grpc
      GENERATE_EXTENSIONS .grpc.pb.h .grpc.pb.cc
      PLUGIN "protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin>"
      IMPORT_DIRS "${PROJECT_SOURCE_DIR}/proto" PROTOC_OUT_DIR "${out}")
  endif()
  # Generated code is not ours to warn about.
  target_compile_options(${name} PRIVATE -w)
endfunction()
