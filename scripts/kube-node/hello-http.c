/* A static HTTP server for the test node's smoke test: answers every request with the pod's hostname,
   so a test can tell which pod a Service routed it to. Port from argv[1] (default 8080). */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int port = argc > 1 ? atoi(argv[1]) : 8080, one = 1;
  char host[256] = "unknown", body[512], reply[1024], request[4096];
  gethostname(host, sizeof host - 1);
  int s = socket(AF_INET, SOCK_STREAM, 0);
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY)};
  if (bind(s, (struct sockaddr *)&addr, sizeof addr) || listen(s, 64)) { perror("listen"); return 1; }
  printf("hello-http listening on %d as %s\n", port, host);
  fflush(stdout);
  for (;;) {
    int c = accept(s, 0, 0);
    if (c < 0) continue;
    ssize_t got = read(c, request, sizeof request - 1);
    if (got > 0) {
      request[got] = 0;
      char *eol = strstr(request, "\r\n");
      if (eol) *eol = 0;
      printf("%s\n", request);
      fflush(stdout);
    }
    int n = snprintf(body, sizeof body, "hello from %s\n", host);
    int m = snprintf(reply, sizeof reply,
                     "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", n, body);
    write(c, reply, m);
    close(c);
  }
}
