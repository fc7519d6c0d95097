/* main: argument parsing and dispatch to a command (src/cli/). */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    puts("easel " EASEL_VERSION);
    return 0;
}
