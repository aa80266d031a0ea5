/** Producers share new abuse images: hashes no bank holds. */
import type { Actor, World } from '../actor';
import { imageOffenders } from './image-offenders';

export function producers(world: World): Actor {
  const { scenario, population, content } = world;
  return imageOffenders(world, population.producers, scenario.population.offenders.producers, 'newImage', () => content.newAbusiveImage());
}
