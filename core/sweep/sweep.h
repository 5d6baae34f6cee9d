// The sweep API in one include: specs (sweep_spec.h), plans and job keys (sweep_plan.h), size and
// time estimates (sweep_estimate.h) and the runner (sweep_runner.h). Compressor fits of target batches: target_batch.h, fit_and_measure.h.
#pragma once

#include "core/sweep/sweep_estimate.h"
#include "core/sweep/sweep_plan.h"
#include "core/sweep/sweep_runner.h"
#include "core/sweep/sweep_spec.h"
