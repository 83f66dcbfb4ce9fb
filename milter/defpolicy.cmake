# defpolicy.cmake -- turn the shipped policy into a C string, so that the
# daemon runs on embedded defaults when no policy file is installed.
# cmake -DIN=contrib/subgate.policy -DOUT=defpolicy.c -P defpolicy.cmake
file(READ "${IN}" text)
string(REPLACE "\\" "\\\\" text "${text}")
string(REPLACE "\"" "\\\"" text "${text}")
string(REPLACE "\n" "\\n\"\n    \"" text "${text}")
file(WRITE "${OUT}.tmp" "/* Generated from contrib/subgate.policy by defpolicy.cmake. */\n#include \"defpolicy.h\"\n\nconst char defpolicy_text[] =\n    \"${text}\";\n")
file(RENAME "${OUT}.tmp" "${OUT}")
