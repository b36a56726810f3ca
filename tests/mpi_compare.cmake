# ctest helper: runs COMMAND once as one process and once under mpirun with 2 ranks and
# fails unless the two outputs are byte-identical.
#   cmake -DMPIEXEC=... -DPROGRAM=... -DARGS="..." -DOUT=dir -P mpi_compare.cmake
separate_arguments(args UNIX_COMMAND "${ARGS}")
execute_process(COMMAND ${PROGRAM} ${args} OUTPUT_FILE ${OUT}/single.txt RESULT_VARIABLE single)
execute_process(COMMAND ${MPIEXEC} --allow-run-as-root --oversubscribe -np 2 ${PROGRAM} ${args}
                OUTPUT_FILE ${OUT}/two_ranks.txt RESULT_VARIABLE two)
if(NOT single EQUAL 0 OR NOT two EQUAL 0)
  message(FATAL_ERROR "runs failed: single=${single} mpirun=${two}")
endif()
file(READ ${OUT}/single.txt a)
file(READ ${OUT}/two_ranks.txt b)
if(NOT a STREQUAL b)
  message(FATAL_ERROR "output under mpirun -np 2 differs from one process")
endif()
string(LENGTH "${a}" n)
if(n EQUAL 0)
  message(FATAL_ERROR "no output")
endif()
message(STATUS "identical (${n} bytes)")
