/* A library function, archived with $(AR) and indexed with $(RANLIB). */
#include "greet.h"

int greet_len(const char *name) {
  int n = 0;
  while (name[n]) n++;
  return n + 7; /* "Hello, " */
}
