from bot.engine.calibrate import ScoredQuery, calibrate, decide
from bot.engine.types import Decision, Thresholds


def _q(expected, top_id, top, second, ranked=None):
    return ScoredQuery(expected, tuple(ranked or [top_id, "X2", "X3"]), top, second)


def _dataset():
    # 40 confident right answers, 10 low-scoring right, 10 confident-looking wrong ones
    # just below the right ones, 20 out-of-scope queries scoring low.
    data = [_q(f"F{i}", f"F{i}", 0.95 - i * 0.001, 0.80) for i in range(40)]
    data += [_q(f"G{i}", f"G{i}", 0.84 - i * 0.001, 0.83) for i in range(10)]
    data += [
        _q(f"H{i}", "WRONG", 0.90 - i * 0.001, 0.89, ["WRONG", f"H{i}", "Z"]) for i in range(10)
    ]
    data += [_q(None, "ANY", 0.80 - i * 0.002, 0.79) for i in range(20)]
    return data


def test_answer_threshold_reaches_target_precision():
    th = calibrate(_dataset(), 0.95)
    answered = [q for q in _dataset() if decide(q.top_score, q.second_score, th) is Decision.ANSWER]
    right = sum(q.top_correct for q in answered)
    assert right / len(answered) >= 0.95
    assert len(answered) >= 40  # all 40 confident right answers are kept


def test_out_of_scope_queries_are_not_answered():
    th = calibrate(_dataset(), 0.95)
    oos = [q for q in _dataset() if q.expected_faq_id is None]
    assert all(decide(q.top_score, q.second_score, th) is not Decision.ANSWER for q in oos)


def test_clarify_threshold_is_below_answer_threshold():
    th = calibrate(_dataset(), 0.95)
    assert th.clarify <= th.answer


def test_too_few_queries_disable_direct_answers():
    th = calibrate([_q("F1", "F1", 0.9, 0.1)], 0.95)
    assert th.answer > 1.0


def test_decide_bands():
    th = Thresholds(answer=0.9, margin=0.02, clarify=0.8)
    assert decide(0.95, 0.90, th) is Decision.ANSWER
    assert decide(0.95, 0.94, th) is Decision.CLARIFY  # too close to the runner-up
    assert decide(0.85, 0.10, th) is Decision.CLARIFY
    assert decide(0.70, 0.10, th) is Decision.HANDOVER
