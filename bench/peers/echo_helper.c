/* The floor of a helper's round trip: answers every request "seq OK" at
 * once, without reading its arguments, and flushes. S4 measures authd's
 * lock-step latency against this on the same pipe. INTF is answered with
 * version 2 so that a host's handshake succeeds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
  char *line = NULL;
  size_t capacity = 0;
  ssize_t length;
  while ((length = getline(&line, &capacity, stdin)) > 0) {
    size_t seq = strspn(line, "0123456789");
    if (seq == 0) continue;
    int intf = strncmp(line + seq, " INTF", 5) == 0;
    fwrite(line, 1, seq, stdout);
    fputs(intf ? " OK 2\n" : " OK\n", stdout);
    fflush(stdout);
  }
  free(line);
  return 0;
}
