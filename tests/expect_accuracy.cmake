# Runs bench/accuracy --json on the calibration rows (both files of bench/data) and checks the
# speed model's in-sample targets: median absolute error of decode at depth 0 <= 7% (90th
# percentile <= 20%), at depth >= 16K <= 12%, prefill pp512 <= 20%, and the 80% bands (fitted on
# held-out rows, so wider than in-sample residuals) holding at least 80% of the rows. The
# held-out figures are tests/expect_holdout.cmake's.
execute_process(COMMAND ${ACC} ${CSV} ${CSV2} --json OUTPUT_VARIABLE out RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "accuracy exited with ${rc}")
endif()
include(${CMAKE_CURRENT_LIST_DIR}/json_check.cmake)
check(decode_d0 median 0.07 LE)
check(decode_d0 p90 0.20 LE)
check(decode_deep median 0.12 LE)
check(prefill_512 median 0.20 LE)
check(band_coverage 0.80 GE)
