#include <stdio.h>
#include "greet.h"

int main(void) {
  printf("Hello, tl (%d bytes)\n", greet_len("tl"));
  return greet_len("tl") != 9;
}
