// Ridge regression and leave-one-group-out (ridge_regression.h).
#include "core/alloc/ridge_regression.h"

#include <set>
#include <stdexcept>

namespace kvwb::core {

Eigen::VectorXd RidgeFit::predict(const Eigen::MatrixXd& x) const {
  const Eigen::MatrixXd z = (x.rowwise() - mean.transpose()).array().rowwise() / scale.transpose().array();
  return (z * beta).array() + intercept;
}

RidgeFit fitRidge(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, double lambda) {
  if (x.rows() != y.size() || x.rows() == 0) throw std::invalid_argument("ridge: X and y need the same rows, at least one");
  if (!(lambda >= 0)) throw std::invalid_argument("ridge: lambda must be >= 0");
  RidgeFit fit;
  const double n = static_cast<double>(x.rows());
  fit.mean = x.colwise().mean().transpose();
  const Eigen::MatrixXd centred = x.rowwise() - fit.mean.transpose();
  fit.scale = (centred.array().square().colwise().sum() / n).sqrt().transpose();
  for (Eigen::Index j = 0; j < fit.scale.size(); ++j)
    if (!(fit.scale[j] > 1e-12)) fit.scale[j] = 1;  // a constant feature: centred to 0, no weight
  const Eigen::MatrixXd z = centred.array().rowwise() / fit.scale.transpose().array();
  fit.intercept = y.mean();
  const Eigen::VectorXd yc = y.array() - fit.intercept;
  Eigen::MatrixXd gram = z.transpose() * z;
  gram.diagonal().array() += lambda;
  fit.beta = gram.ldlt().solve(z.transpose() * yc);
  return fit;
}

HeldOutPredictions leaveOneGroupOut(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, const std::vector<int>& group,
                                    double lambda) {
  if (static_cast<Eigen::Index>(group.size()) != x.rows()) throw std::invalid_argument("ridge: one group per row");
  const std::set<int> groups(group.begin(), group.end());
  if (groups.size() < 2) throw std::invalid_argument("ridge: leave-one-group-out needs at least two groups");
  HeldOutPredictions out{Eigen::VectorXd::Zero(x.rows()), Eigen::VectorXd::Zero(x.rows())};
  for (int g : groups) {
    std::vector<Eigen::Index> train, test;
    for (Eigen::Index i = 0; i < x.rows(); ++i) (group[i] == g ? test : train).push_back(i);
    const Eigen::MatrixXd xTrain = x(train, Eigen::all);
    const Eigen::VectorXd yTrain = y(train);
    const auto fit = fitRidge(xTrain, yTrain, lambda);
    const Eigen::VectorXd predicted = fit.predict(x(test, Eigen::all));
    for (std::size_t k = 0; k < test.size(); ++k) {
      out.model[test[k]] = predicted[static_cast<Eigen::Index>(k)];
      out.baseline[test[k]] = fit.intercept;
    }
  }
  return out;
}

}  // namespace kvwb::core
