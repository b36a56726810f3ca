# cmake -P: copies the package (r/) to PACKAGE and runs R CMD INSTALL into LIBRARY, with
# ONSET_SOURCE_DIR and ONSET_LIB_DIR for src/Makevars; R's output goes to PACKAGE.log and is
# printed when the installation fails.
file(REMOVE_RECURSE ${PACKAGE})
file(MAKE_DIRECTORY ${PACKAGE} ${LIBRARY})
file(COPY ${SOURCE}/ DESTINATION ${PACKAGE}
     PATTERN CMakeLists.txt EXCLUDE PATTERN install_package.cmake EXCLUDE
     PATTERN README.md EXCLUDE)
set(ENV{ONSET_SOURCE_DIR} ${ONSET_SOURCE_DIR})
set(ENV{ONSET_LIB_DIR} ${ONSET_LIB_DIR})
execute_process(
  COMMAND ${R} CMD INSTALL --no-multiarch --library=${LIBRARY} ${PACKAGE}
  OUTPUT_FILE ${PACKAGE}.log ERROR_FILE ${PACKAGE}.log
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  file(READ ${PACKAGE}.log log)
  message(FATAL_ERROR "R CMD INSTALL failed (${PACKAGE}.log):\n${log}")
endif()
file(TOUCH ${STAMP})
