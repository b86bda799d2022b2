# check(PATH... LIMIT LE|GE): the number at PATH (JSON keys) of ${out} against LIMIT. Shared by
# expect_accuracy.cmake and expect_holdout.cmake.
function(check)
  set(args ${ARGN})
  list(POP_BACK args cmp)
  list(POP_BACK args limit)
  string(JSON v GET "${out}" ${args})
  if(cmp STREQUAL "LE" AND v GREATER ${limit})
    message(FATAL_ERROR "${args} = ${v}, above ${limit}")
  elseif(cmp STREQUAL "GE" AND v LESS ${limit})
    message(FATAL_ERROR "${args} = ${v}, below ${limit}")
  endif()
  message(STATUS "${args} = ${v}")
endfunction()
