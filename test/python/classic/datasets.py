"""The models the classic tests export: each a factory -> (fitted estimator, float32 rows to run), fitted
on data sets shipped with scikit-learn (no download). EXACT: the families held to 100% class agreement."""
from __future__ import annotations

import functools
import warnings

import numpy as np
from sklearn import datasets as skd
from sklearn import decomposition, multiclass, naive_bayes, neighbors, neural_network, svm, tree
from sklearn import ensemble as en
from sklearn import feature_selection as fs
from sklearn import linear_model as lm
from sklearn import preprocessing as pp
from sklearn.pipeline import make_pipeline

DIGITS_ROWS = 400


@functools.cache
def data(name: str):
    load = {"iris": skd.load_iris, "wine": skd.load_wine, "breast": skd.load_breast_cancer,
            "digits": skd.load_digits, "diabetes": skd.load_diabetes}[name]
    x, y = load(return_X_y=True)
    x = x.astype(np.float32).astype(np.float64)  # the rows the board sees
    return x, y


def fit(est, name: str, rows: int = 0):
    x, y = data(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings of small max_iter
        est.fit(x, y)
    return est, x[:rows] if rows else x


def case(est_factory, name, rows: int = 0):
    """A factory of (fitted estimator, rows); fitted once per test process (the tests only read it)."""
    return functools.lru_cache(maxsize=None)(lambda: fit(est_factory(), name, rows))


S = pp.StandardScaler
CASES = {
    # trees, forests, boosting (EXACT)
    "tree_iris": case(lambda: tree.DecisionTreeClassifier(random_state=0), "iris"),
    "tree_reg_diabetes": case(lambda: tree.DecisionTreeRegressor(max_depth=8, random_state=0), "diabetes"),
    "forest_digits": case(lambda: en.RandomForestClassifier(10, max_depth=6, random_state=0), "digits",
                          DIGITS_ROWS),
    "forest_pure_wine": case(lambda: en.RandomForestClassifier(15, random_state=0), "wine"),
    "extra_trees_breast": case(lambda: en.ExtraTreesClassifier(10, max_depth=8, random_state=0), "breast"),
    "forest_reg_diabetes": case(lambda: en.RandomForestRegressor(10, max_depth=6, random_state=0), "diabetes"),
    "extra_trees_reg_diabetes": case(lambda: en.ExtraTreesRegressor(8, max_depth=7, random_state=0),
                                     "diabetes"),
    "gboost_breast": case(lambda: en.GradientBoostingClassifier(n_estimators=30, random_state=0), "breast"),
    "gboost_iris": case(lambda: en.GradientBoostingClassifier(n_estimators=20, random_state=0), "iris"),
    "gboost_reg_diabetes": case(lambda: en.GradientBoostingRegressor(n_estimators=40, random_state=0),
                                "diabetes"),
    "hist_gboost_breast": case(lambda: en.HistGradientBoostingClassifier(max_iter=30, random_state=0),
                               "breast"),
    "hist_gboost_wine": case(lambda: en.HistGradientBoostingClassifier(max_iter=20, random_state=0), "wine"),
    "hist_gboost_reg_diabetes": case(lambda: en.HistGradientBoostingRegressor(max_iter=30), "diabetes"),
    "hist_gboost_poisson_diabetes": case(
        lambda: en.HistGradientBoostingRegressor(loss="poisson", max_iter=30), "diabetes"),
    "isolation_forest_breast": case(lambda: en.IsolationForest(n_estimators=20, random_state=0), "breast"),
    "isolation_forest_sub_wine": case(
        lambda: en.IsolationForest(n_estimators=10, max_features=0.5, random_state=0), "wine"),
    # linear models
    "logreg_binary_breast": case(lambda: make_pipeline(S(), lm.LogisticRegression()), "breast"),
    "logreg_multinomial_iris": case(lambda: lm.LogisticRegression(max_iter=500), "iris"),
    "logreg_ovr_wine": case(lambda: make_pipeline(S(), multiclass.OneVsRestClassifier(
        lm.LogisticRegression())), "wine"),
    "linreg_diabetes": case(lm.LinearRegression, "diabetes"),
    "ridge_diabetes": case(lambda: lm.Ridge(alpha=0.5), "diabetes"),
    "lasso_diabetes": case(lambda: lm.Lasso(alpha=0.1), "diabetes"),
    "elastic_net_diabetes": case(lambda: lm.ElasticNet(alpha=0.01), "diabetes"),
    "sgd_reg_diabetes": case(lambda: make_pipeline(S(), lm.SGDRegressor(random_state=0)), "diabetes"),
    "sgd_hinge_iris": case(lambda: make_pipeline(S(), lm.SGDClassifier(random_state=0)), "iris"),
    "sgd_log_wine": case(lambda: make_pipeline(S(), lm.SGDClassifier(loss="log_loss", random_state=0)),
                         "wine"),
    "linear_svc_breast": case(lambda: make_pipeline(S(), svm.LinearSVC()), "breast"),
    "linear_svr_diabetes": case(lambda: make_pipeline(S(), svm.LinearSVR(max_iter=5000)), "diabetes"),
    # kernel SVMs
    "svc_rbf_iris": case(lambda: svm.SVC(), "iris"),
    "svc_poly_wine": case(lambda: make_pipeline(S(), svm.SVC(kernel="poly", degree=3)), "wine"),
    "svc_sigmoid_breast": case(lambda: make_pipeline(S(), svm.SVC(kernel="sigmoid")), "breast"),
    "svc_linear_ovo_iris": case(lambda: svm.SVC(kernel="linear", decision_function_shape="ovo"), "iris"),
    "svr_rbf_diabetes": case(lambda: make_pipeline(S(), svm.SVR(C=50.0)), "diabetes"),
    # neighbours, centroids, naive Bayes
    "knn_iris": case(lambda: neighbors.KNeighborsClassifier(5), "iris"),
    "knn_distance_wine": case(lambda: make_pipeline(S(), neighbors.KNeighborsClassifier(
        7, weights="distance")), "wine"),
    "knn_manhattan_breast": case(lambda: make_pipeline(S(), neighbors.KNeighborsClassifier(
        3, metric="manhattan")), "breast"),
    "knn_reg_diabetes": case(lambda: neighbors.KNeighborsRegressor(5), "diabetes"),
    "nearest_centroid_iris": case(neighbors.NearestCentroid, "iris"),
    "nearest_centroid_wine": case(lambda: make_pipeline(S(), neighbors.NearestCentroid()), "wine"),
    "gaussian_nb_iris": case(naive_bayes.GaussianNB, "iris"),
    "gaussian_nb_breast": case(naive_bayes.GaussianNB, "breast"),
    # MLPs (through the PyTorch path)
    "mlp_iris": case(lambda: make_pipeline(S(), neural_network.MLPClassifier(
        hidden_layer_sizes=(16,), max_iter=400, random_state=0)), "iris"),
    "mlp_binary_breast": case(lambda: make_pipeline(S(), neural_network.MLPClassifier(
        hidden_layer_sizes=(8, 8), activation="tanh", max_iter=300, random_state=0)), "breast"),
    "mlp_reg_diabetes": case(lambda: make_pipeline(pp.MinMaxScaler(), neural_network.MLPRegressor(
        hidden_layer_sizes=(16,), max_iter=300, random_state=0)), "diabetes"),
    # preprocessing in pipelines
    "minmax_pca_logreg_digits": case(lambda: make_pipeline(pp.MinMaxScaler(), decomposition.PCA(16),
                                                           lm.LogisticRegression(max_iter=300)),
                                     "digits", DIGITS_ROWS),
    "robust_poly_ridge_diabetes": case(lambda: make_pipeline(pp.RobustScaler(), pp.PolynomialFeatures(2),
                                                             lm.Ridge()), "diabetes"),
    "normalizer_knn_iris": case(lambda: make_pipeline(pp.Normalizer(), neighbors.KNeighborsClassifier(3)),
                                "iris"),
    "maxabs_kbest_logreg_breast": case(lambda: make_pipeline(pp.MaxAbsScaler(), fs.SelectKBest(k=10),
                                                             lm.LogisticRegression()), "breast"),
    "variance_nb_digits": case(lambda: make_pipeline(fs.VarianceThreshold(1.0), naive_bayes.GaussianNB()),
                               "digits", DIGITS_ROWS),
    "pca_whiten_svc_wine": case(lambda: make_pipeline(S(), decomposition.PCA(5, whiten=True), svm.SVC()),
                                "wine"),
}
EXACT = {k for k in CASES if k.split("_")[0] in ("tree", "forest", "extra", "gboost", "hist", "isolation")}
# The same forests laid out both ways (the automatic choice is tested by the cases above).
TREE_LAYOUTS = {
    "arrays": {"layout_arrays_gboost_iris": CASES["gboost_iris"]},
    "code": {"layout_code_forest_digits": CASES["forest_digits"],
             "layout_code_hist_gboost_wine": CASES["hist_gboost_wine"]},
}
