export { UnmanagedObjectsCard } from './UnmanagedObjectsCard';
