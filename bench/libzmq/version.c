/*
 * version: prints the version of the libzmq this directory's tools link
 * against at run time, for the header of the comparison report.
 */
#include <zmq.h>
#include <stdio.h>

int main (void)
{
    int major, minor, patch;
    zmq_version (&major, &minor, &patch);
    printf ("%d.%d.%d\n", major, minor, patch);
    return 0;
}
