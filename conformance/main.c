/* The conformance runner: every suite of suites.h, in CK_FORK mode, then the plain closing line
 * `N passed, N failed` that CI reads.
 *
 *   build/conformance/mp-conformance            all suites
 *   build/conformance/mp-conformance Process Daemon   some suites (CK_RUN_CASE works too)
 *   build/conformance/mp-conformance --start-method=spawn Lock   under another start method
 *
 * Each suite runs in a runner process of its own, forked before any test has run. Check's
 * parent reads a message for every passing assertion of a test, and under ASan the memory that
 * costs stays in the allocator's quarantine: one runner for all suites grew to 250 MB, and every
 * later test paid for it in fork() (the whole ASan run took 582 s, the suites one by one 180 s).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mp.h>

#define MP_SUITE(x) Suite *mp_suite_##x(void);
#include "suites.h"
#undef MP_SUITE

static const struct {
    const char *name;
    Suite *(*make)(void);
} suites[] = {
#define MP_SUITE(x) {#x, mp_suite_##x},
#include "suites.h"
#undef MP_SUITE
};
enum { NSUITES = sizeof suites / sizeof *suites };

/* With arguments, only the suites named (case-insensitive: "Process Daemon"). */
static int wanted(int argc, char **argv, const char *suite)
{
    int named = 0;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-')
            continue;
        named = 1;
        if (strcasecmp(argv[i], suite) == 0)
            return 1;
    }
    return !named;
}

/* `--start-method=M` makes M the default start method of every test (helpers.h: the suites'
 * children run under it). Returns 0, or -1 after saying what is wrong. */
static int choose_start_method(int argc, char **argv)
{
    static const char opt[] = "--start-method=";
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], opt, sizeof opt - 1) != 0)
            continue;
        if (mp_set_start_method(argv[i] + sizeof opt - 1, 1) != 0) {
            printf("%s: %s\n", argv[i], mp_errmsg());
            return -1;
        }
        printf("start method: %s\n", argv[i] + sizeof opt - 1);
    }
    return 0;
}

/* Runs one suite in this process; its XML log (if any) goes to xml. Returns {run, failed}. */
static void run_suite(int i, const char *xml, int counts[2])
{
    SRunner *sr = srunner_create(suites[i].make());
    /* Fork mode is what makes timeouts, exit codes and signals testable; refuse to run
     * without it unless someone debugs with CK_FORK=no on purpose. */
    if (!getenv("CK_FORK"))
        srunner_set_fork_status(sr, CK_FORK);
    if (xml)
        srunner_set_xml(sr, xml);
    srunner_run_all(sr, CK_ENV);
    counts[0] = srunner_ntests_run(sr);
    counts[1] = srunner_ntests_failed(sr);
    srunner_free(sr);
}

/* Runs suite i in a forked runner and adds its counts; a runner that dies is one failure. */
static void run_suite_forked(int i, const char *xml, int totals[2])
{
    int fds[2], counts[2] = {0, 1};
    fflush(NULL);
    if (pipe(fds) != 0) {
        perror("pipe");
        totals[1]++;
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        run_suite(i, xml, counts);
        ssize_t w = write(fds[1], counts, sizeof counts);
        fflush(NULL);
        _exit(w == (ssize_t)sizeof counts ? 0 : 1);
    }
    close(fds[1]);
    ssize_t r = pid > 0 ? read(fds[0], counts, sizeof counts) : -1;
    close(fds[0]);
    int st = 0;
    if (pid > 0)
        waitpid(pid, &st, 0);
    if (r != (ssize_t)sizeof counts || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        printf("runner of suite %s ended without its counts (status %#x)\n", suites[i].name, st);
        counts[0] = counts[1] = 1;
    }
    totals[0] += counts[0];
    totals[1] += counts[1];
}

int xml_merge(const char *out, const char *const *parts, int n);

/* Set first thing in main(): a spawned child, which must never run main(), sees it unset. */
int conformance_main_ran;

int main(int argc, char **argv)
{
    conformance_main_ran = 1;
    /* Tests that skip themselves (mp_skip in helpers.h) append a line here. */
    char skips[] = "/tmp/mp-conformance-skips-XXXXXX";
    int sfd = mkstemp(skips);
    if (sfd >= 0) {
        close(sfd);
        setenv("MP_SKIPS", skips, 1);
    }
    if (choose_start_method(argc, argv) < 0)
        return EXIT_FAILURE;
    const char *xml = getenv("CK_XML_LOG_FILE_NAME");
    char *parts[NSUITES];
    int nparts = 0, totals[2] = {0, 0};
    for (int i = 0; i < NSUITES; i++) {
        if (!wanted(argc, argv, suites[i].name))
            continue;
        char *part = NULL;
        if (xml && asprintf(&part, "%s.%s", xml, suites[i].name) < 0)
            part = NULL;
        if (part)
            parts[nparts++] = part;
        run_suite_forked(i, part, totals);
    }
    if (xml && xml_merge(xml, (const char *const *)parts, nparts) != 0)
        printf("could not write the XML log %s\n", xml);
    for (int i = 0; i < nparts; i++) {
        unlink(parts[i]);
        free(parts[i]);
    }
    int run = totals[0], failed = totals[1];
    FILE *f = sfd >= 0 ? fopen(skips, "r") : NULL;
    char line[512];
    int self_skipped = 0;
    while (f && fgets(line, sizeof line, f)) {
        printf("skip %s", line);
        self_skipped++;
    }
    if (f)
        fclose(f);
    if (sfd >= 0)
        unlink(skips);
    /* Check counted a self-skipped test as passed; it is a skip. */
    printf("%d passed, %d failed, %d skipped\n", run - failed - self_skipped, failed, self_skipped);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
