// Ownership of SUNDIALS objects through RAII (std::unique_ptr with the matching free
// function) and the name of a CVODES return flag, shared by the CVODES integrator and the
// forward-sensitivity simulator. Internal to pk/.
#pragma once

#include <cvodes/cvodes.h>
#include <nvector/nvector_serial.h>
#include <sundials/sundials_context.h>
#include <sundials/sundials_linearsolver.h>
#include <sundials/sundials_matrix.h>
#include <sundials/sundials_nonlinearsolver.h>

#include <cstdlib>
#include <memory>
#include <string>

namespace onset::pk::sundials {

struct ContextDeleter {
  void operator()(SUNContext context) const { SUNContext_Free(&context); }
};
struct CvodeDeleter {
  void operator()(void* memory) const { CVodeFree(&memory); }
};
struct VectorDeleter {
  void operator()(N_Vector vector) const { N_VDestroy(vector); }
};
struct VectorArrayDeleter {
  int count = 0;
  void operator()(N_Vector* vectors) const { N_VDestroyVectorArray(vectors, count); }
};
struct MatrixDeleter {
  void operator()(SUNMatrix matrix) const { SUNMatDestroy(matrix); }
};
struct LinearSolverDeleter {
  void operator()(SUNLinearSolver solver) const { SUNLinSolFree(solver); }
};
struct NonlinearSolverDeleter {
  void operator()(SUNNonlinearSolver solver) const { SUNNonlinSolFree(solver); }
};

using ContextPtr = std::unique_ptr<_SUNContext, ContextDeleter>;
using CvodePtr = std::unique_ptr<void, CvodeDeleter>;
using VectorPtr = std::unique_ptr<_generic_N_Vector, VectorDeleter>;
using MatrixPtr = std::unique_ptr<_generic_SUNMatrix, MatrixDeleter>;
using LinearSolverPtr = std::unique_ptr<_generic_SUNLinearSolver, LinearSolverDeleter>;
using NonlinearSolverPtr = std::unique_ptr<_generic_SUNNonlinearSolver, NonlinearSolverDeleter>;

// "CV_TOO_MUCH_WORK" for a CVODES return flag.
inline std::string flag_name(int flag) {
  char* name = CVodeGetReturnFlagName(flag);
  std::string text = name ? name : ("flag " + std::to_string(flag));
  std::free(name);
  return text;
}

}  // namespace onset::pk::sundials
