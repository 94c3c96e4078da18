/* Lesson 11: shared state. A Value and an Array a child writes into, a counter under the
 * Value's own lock, then a named SharedMemory block that a Python process reads and answers in.
 *
 * Python original:  num = Value('d', 0.0); arr = Array('i', range(10)); SharedMemory(create=True)
 * Shown in: docs, "Lesson 11"          Run: make lesson-11 [ARGS="--count 3"]
 *
 * --count sets the counter's increments per worker, in thousands; --interval is not used.
 * The Python end of part 3 is lessons/11-shared/lesson11_peer.py, run with $PYTHON (python3
 * unless set) from the top of the tree, as `make lesson-11` does.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mp.h>

#include "../lesson.h"

#define PEER "lessons/11-shared/lesson11_peer.py"
#define WORKERS 4
#define N 10

// [f]
/* The multiprocessing docs' example: the child writes pi into the Value and negates the Array,
 * and the parent sees both, because both live in memory the two processes share. */
static void f(mp_obj_t *args, mp_obj_t *kwargs, void *ctx)
{
    (void)kwargs, (void)ctx;
    mp_obj_t *num_obj, *arr_obj;
    mp_value_t *num;
    mp_array_t *arr;
    lesson_check(mp_parse(args, "(OO)", &num_obj, &arr_obj));
    lesson_check(mp_obj_as_value(num_obj, &num));
    lesson_check(mp_obj_as_array(arr_obj, &arr));
    lesson_check(mp_value_set_f64(num, 3.1415927)); /* num.value = 3.1415927 */
    for (long i = 0; i < (long)mp_array_len(arr); i++) {
        int64_t x;
        lesson_check(mp_array_get_i64(arr, i, &x));
        lesson_check(mp_array_set_i64(arr, i, -x)); /* arr[i] = -arr[i] */
    }
}
MP_TARGET(f);
// [f]

/* Starts target(args) in each of n processes and joins them. */
static void run(mp_target_t target, mp_obj_t *args, int n)
{
    mp_process_t *p[WORKERS];
    for (int i = 0; i < n; i++) {
        lesson_check(mp_process_new(&p[i], target, args, NULL));
        lesson_check(mp_process_start(p[i]));
    }
    for (int i = 0; i < n; i++) {
        lesson_check(mp_process_join(p[i], MP_FOREVER));
        lesson_check(mp_process_free(p[i]));
    }
    mp_obj_decref(args);
}

static void value_and_array(void)
{
    // [value-array]
    mp_value_t *num;
    mp_array_t *arr;
    int start[N];
    for (int i = 0; i < N; i++)
        start[i] = i;                                      /* range(10) */
    lesson_check(mp_value_new(&num, 'd', NULL, NULL));     /* Value('d', 0.0) */
    lesson_check(mp_array_new(&arr, 'i', N, start, NULL)); /* Array('i', range(10)) */
    run(f, lesson_ptr(mp_build("(NN)", mp_value_obj(num), mp_array_obj(arr))), 1);
    double pi;
    int seen[N];
    size_t n;
    lesson_check(mp_value_get_f64(num, &pi));
    lesson_check(mp_array_get_slice(arr, 0, N, seen, &n)); /* arr[:] */
    // [value-array]
    printf("num.value = %.8g\narr[:] = [", pi);
    for (size_t i = 0; i < n; i++)
        printf("%s%d", i ? ", " : "", seen[i]);
    printf("]\n");
    fflush(stdout);
    mp_value_free(num);
    mp_array_free(arr);
}

// [add]
/* `with counter.get_lock(): counter.value += 1`, `times` times: the read and the write happen
 * under the Value's own lock, so no other worker's update falls between them. */
static void add(mp_obj_t *args, mp_obj_t *kwargs, void *ctx)
{
    (void)kwargs, (void)ctx;
    mp_obj_t *obj;
    mp_value_t *counter;
    mp_lock_t *lock;
    long times;
    lesson_check(mp_parse(args, "(Ol)", &obj, &times));
    lesson_check(mp_obj_as_value(obj, &counter));
    lesson_check(mp_value_get_lock(counter, &lock));
    for (long i = 0; i < times; i++) {
        int64_t x;
        lesson_check(mp_lock_acquire(lock, 1, MP_FOREVER));
        lesson_check(mp_value_get_i64(counter, &x));
        lesson_check(mp_value_set_i64(counter, x + 1));
        lesson_check(mp_lock_release(lock));
    }
}
MP_TARGET(add);
// [add]

static void counter_under_lock(int thousands)
{
    // [counter]
    mp_value_t *counter;
    lesson_check(mp_value_new(&counter, 'i', NULL, NULL)); /* Value('i', 0): with an RLock */
    long times = 1000L * thousands;
    run(add, lesson_ptr(mp_build("(Nl)", mp_value_obj(counter), times)), WORKERS);
    int64_t total;
    lesson_check(mp_value_get_i64(counter, &total));
    // [counter]
    printf("%d workers x %ld increments under get_lock(): counter.value = %lld\n", WORKERS, times,
           (long long)total);
    fflush(stdout);
    mp_value_free(counter);
}

// [block]
/* The block's layout, which the Python end reads with struct.unpack_from('<16s10i', ...): a
 * greeting of 16 bytes, then ten little-endian int32 squares; the peer writes their sum, an
 * int64, at ANSWER. */
#define BLOCK 64
#define ANSWER 56

static void fill(unsigned char *buf)
{
    memset(buf, 0, BLOCK);
    memcpy(buf, "shared hello", 12);
    for (int32_t i = 0; i < N; i++) {
        int32_t sq = i * i;
        for (int b = 0; b < 4; b++)
            buf[16 + 4 * i + b] = (unsigned char)((uint32_t)sq >> (8 * b));
    }
}
// [block]

static int64_t read_answer(const unsigned char *buf)
{
    uint64_t x = 0;
    for (int b = 7; b >= 0; b--)
        x = x << 8 | buf[ANSWER + b];
    return (int64_t)x;
}

// [python]
/* Runs the Python end with the block's name; its lines are relayed, marked as its. */
static void python_reads(const char *name)
{
    const char *python = getenv("PYTHON") ? getenv("PYTHON") : "python3";
    char command[512], line[512];
    snprintf(command, sizeof command, "%s %s %s", python, PEER, name);
    fflush(stdout); /* popen forks: nothing of ours may wait in a buffer the child copies */
    FILE *py = lesson_ptr(popen(command, "r"));
    while (fgets(line, sizeof line, py))
        printf("Python peer: %s", line);
    if (pclose(py) != 0)
        lesson_fail(__FILE__, __LINE__, command, "the Python end failed");
}
// [python]

static void shared_memory_block(void)
{
    // [shm]
    mp_shared_memory_t *shm;
    lesson_check(mp_shared_memory_new(&shm, NULL, 1, BLOCK)); /* SharedMemory(create=True, ...) */
    unsigned char *buf = mp_shared_memory_buf(shm);
    fill(buf);
    printf("made a block of %zu bytes, named psm_ and 8 hex digits\n", mp_shared_memory_size(shm));
    python_reads(mp_shared_memory_name(shm));
    printf("the Python end wrote the sum of the squares: %lld\n", (long long)read_answer(buf));
    lesson_check(mp_shared_memory_close(shm));  /* shm.close() */
    lesson_check(mp_shared_memory_unlink(shm)); /* shm.unlink(): the name is gone */
    mp_shared_memory_free(shm);
    // [shm]
    printf("closed and unlinked the block\n");
}

int main(int argc, char **argv)
{
    struct lesson_opts o = {0.2, 5};
    lesson_parse(argc, argv, &o);
    value_and_array();
    counter_under_lock(o.count);
    shared_memory_block();
    return 0;
}
