/* One Check XML log from the logs of the per-suite runners (main.c): the first log's head (up
 * to its datetime), every log's <suite> elements, and the sum of their durations. The docs'
 * Spec page reads the result as if one runner had written it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int xml_merge(const char *out, const char *const *parts, int n);

/* Copies the lines of one part; the head only for the first, the suites always. */
static void copy_part(FILE *in, FILE *o, int first, double *secs)
{
    char line[4096];
    int in_suites = 0, seen_suite = 0;
    while (fgets(line, sizeof line, in)) {
        if (strstr(line, "<suite>"))
            in_suites = seen_suite = 1;
        if (in_suites || (first && !seen_suite && !strstr(line, "</testsuites>")))
            fputs(line, o);
        if (strstr(line, "</suite>"))
            in_suites = 0;
        const char *d = strstr(line, "<duration>");
        if (seen_suite && !in_suites && d)
            *secs += strtod(d + strlen("<duration>"), NULL);
    }
}

int xml_merge(const char *out, const char *const *parts, int n)
{
    FILE *o = fopen(out, "w");
    if (!o)
        return -1;
    double secs = 0;
    int head = 1;
    for (int i = 0; i < n; i++) {
        FILE *in = fopen(parts[i], "r");
        if (!in)
            continue;
        copy_part(in, o, head, &secs);
        head = 0;
        fclose(in);
    }
    if (head)
        fputs("<?xml version=\"1.0\"?>\n<testsuites xmlns=\"http://check.sourceforge.net/ns\">\n",
              o);
    fprintf(o, "  <duration>%f</duration>\n</testsuites>\n", secs);
    return fclose(o);
}
