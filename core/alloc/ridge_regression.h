// Ridge regression on standardised features (issue 18: damage predicted from structure): closed
// form (Z^T Z + lambda I)^-1 Z^T (y - mean y), the intercept (the training mean) not penalised, and
// leave-one-group-out evaluation against the predict-the-training-mean baseline. Eigen; pure
// functions, any thread.
//
//   const auto fit = kvwb::core::fitRidge(X, y, 1.0);       // X: rows = samples
//   const Eigen::VectorXd yhat = fit.predict(Xnew);
//   const auto held = kvwb::core::leaveOneGroupOut(X, y, layerOfRow, 1.0);
#pragma once

#include <Eigen/Dense>
#include <vector>

namespace kvwb::core {

struct RidgeFit {
  Eigen::VectorXd mean, scale;  // per feature, of the training rows (scale 1 where constant)
  Eigen::VectorXd beta;         // on the standardised features
  double intercept = 0;         // the training mean of y
  Eigen::VectorXd predict(const Eigen::MatrixXd& x) const;
};

// Throws std::invalid_argument when X and y disagree in rows, there are none, or lambda < 0.
RidgeFit fitRidge(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, double lambda);

// For each distinct group g: fit on the rows of other groups only, predict the rows of g. The
// baseline predicts the mean y of those same training rows. Throws std::invalid_argument when
// there are fewer than two groups.
struct HeldOutPredictions {
  Eigen::VectorXd model, baseline;  // per row
};
HeldOutPredictions leaveOneGroupOut(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, const std::vector<int>& group,
                                    double lambda);

}  // namespace kvwb::core
