// @types/k6 declares scenarios as interfaces extending an abstract class, while k6 takes
// plain objects; these helpers accept the plain shape so scripts need no casts.
import type { ConstantArrivalRateScenario, ConstantVUsScenario } from 'k6/options';

type Plain<T> = { [K in keyof T]: T[K] };

export function arrivalRate(s: Plain<ConstantArrivalRateScenario>): ConstantArrivalRateScenario {
  return s;
}

export function constantVus(s: Plain<ConstantVUsScenario>): ConstantVUsScenario {
  return s;
}
