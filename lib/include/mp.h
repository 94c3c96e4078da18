/**
 * @file mp.h
 * @brief The one header users include: all of libmp, Python's `multiprocessing` in C.
 */
#ifndef MP_H
#define MP_H

#include "mp/common.h"
#include "mp/errors.h"
#include "mp/object.h"
#include "mp/pickle.h"
#include "mp/process.h"
#include "mp/synchronize.h"
#include "mp/connection.h"
#include "mp/listener.h"
#include "mp/queues.h"
#include "mp/context.h"
#include "mp/reduction.h"
#include "mp/pool.h"
#include "mp/pool_transport.h"
#include "mp/sharedctypes.h"
#include "mp/shared_memory.h"
#include "mp/shareable_list.h"

#endif /* MP_H */
