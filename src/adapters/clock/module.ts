import { ContainerModule } from 'inversify';
import { CLOCK, type Clock } from '../../domain/ports/clock.js';
import { TimerClock } from './timer-clock.js';

/** The real timers, unless a test hands in its own clock. */
export const clockModule = (clock?: Clock) =>
  new ContainerModule(({ bind }) => {
    if (clock) bind(CLOCK).toConstantValue(clock);
    else bind(CLOCK).to(TimerClock);
  });
