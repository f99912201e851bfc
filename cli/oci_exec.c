/* osbox-oci exec: not yet. */
#include <stdio.h>
#include "cli.h"
#include "cli/oci.h"

int oci_exec_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return oci_failf("exec: not implemented yet");
}
