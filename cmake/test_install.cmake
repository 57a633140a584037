# ctest install_and_find_package: install the build into a scratch prefix, configure and build
# cmake/consumer/ against it with find_package(quakesat), and run the consumer. Fails on the
# first step that fails. Arguments: BUILD_DIR, SOURCE_DIR, WORK_DIR, CXX, CONFIG, and the
# build's CXX_FLAGS and LINK_FLAGS (a sanitized build's core needs its runtime in the consumer).
file(REMOVE_RECURSE ${WORK_DIR})
function(step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "failed (${result}): ${ARGN}\n${out}\n${err}")
  endif()
  set(step_output "${out}" PARENT_SCOPE)
endfunction()
set(config_args)
if(CONFIG)
  set(config_args --config ${CONFIG})
endif()
step(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix ${config_args})
foreach(installed include/quakesat/message.hpp include/quakesat/decode.hpp lib/cmake/quakesat/quakesatConfig.cmake
        bin/quakesat-decode)
  if(NOT EXISTS ${WORK_DIR}/prefix/${installed})
    message(FATAL_ERROR "not installed: ${installed}")
  endif()
endforeach()
step(${CMAKE_COMMAND} -S ${SOURCE_DIR}/cmake/consumer -B ${WORK_DIR}/build -DCMAKE_CXX_COMPILER=${CXX}
     -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}"
     "-DCMAKE_EXE_LINKER_FLAGS=${LINK_FLAGS}")
step(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
step(${WORK_DIR}/build/consumer)
message(STATUS "${step_output}")
if(EXISTS ${WORK_DIR}/prefix/bin/quakesat-runner)  # the installed runner finds its SDK libraries
  step(${WORK_DIR}/prefix/bin/quakesat-runner --version)
  message(STATUS "${step_output}")
endif()
