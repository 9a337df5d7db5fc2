variable "region" {
  description = "AWS region of this Sluice environment (one production environment per region)."
  type        = string
}

variable "name_prefix" {
  description = "Prefix of the names of the IAM roles, the database and its security group."
  type        = string
  default     = "sluice"
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

# --- S3: the Staging Zone and the R&D Zone ---

variable "staging_bucket_name" {
  description = "Name of the Staging Zone bucket, where clients' fund data arrives."
  type        = string
}

variable "rnd_bucket_name" {
  description = "Name of the R&D Zone bucket, which only Sluice writes (filtered copies of Staging)."
  type        = string
}

variable "staging_writer_arns" {
  description = "IAM principals (roles, users) that may upload into the Staging Zone; nobody else writes there."
  type        = list(string)
  default     = []
}

variable "artifact_bucket_names" {
  description = "Buckets holding model artifacts (s3://... in model versions): Sluice checks them, model servers read them."
  type        = list(string)
  default     = []
}

variable "kms_key_arn" {
  description = "KMS key for SSE-KMS on the zone buckets and the database; null uses SSE-S3 (AES256) and the RDS default key."
  type        = string
  default     = null
}

# --- ECR ---

variable "model_repositories" {
  description = "ECR repositories for model server images (besides `sluice`, which holds Sluice's own image)."
  type        = list(string)
  default     = ["sluice-models"]
}

variable "training_repositories" {
  description = "Existing ECR repositories of experiments' training images, whose tags Sluice resolves to digests when a run starts."
  type        = list(string)
  default     = []
}

# --- Network and RDS ---

variable "vpc_id" {
  description = "VPC of the database."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets (two or more availability zones) for the database."
  type        = list(string)
}

variable "db_client_security_group_ids" {
  description = "Security groups allowed to reach PostgreSQL on 5432 (the EKS nodes' or Sluice pods' groups)."
  type        = list(string)
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.medium"
}

variable "db_allocated_storage" {
  description = "Initial storage in GiB; storage autoscaling grows it up to db_max_allocated_storage."
  type        = number
  default     = 50
}

variable "db_max_allocated_storage" {
  description = "Upper bound in GiB for storage autoscaling."
  type        = number
  default     = 500
}

variable "db_backup_retention_days" {
  description = "Days of automated backups (point-in-time recovery window)."
  type        = number
  default     = 14
}

variable "db_multi_az" {
  description = "Run a standby in a second availability zone."
  type        = bool
  default     = true
}

# --- IAM roles for service accounts (EKS) ---

variable "oidc_provider_arn" {
  description = "ARN of the EKS cluster's IAM OIDC provider (arn:aws:iam::ACCOUNT:oidc-provider/oidc.eks.REGION.amazonaws.com/id/ID)."
  type        = string
}

variable "oidc_provider_url" {
  description = "Issuer of that provider without https:// (oidc.eks.REGION.amazonaws.com/id/ID)."
  type        = string
}

variable "kubernetes_namespace" {
  description = "Namespace of Sluice's service account (deploy/kubernetes uses sluice)."
  type        = string
  default     = "sluice"
}

variable "kubernetes_service_account" {
  description = "Name of Sluice's service account (deploy/kubernetes uses sluice)."
  type        = string
  default     = "sluice"
}

# --- EC2 model servers ---

variable "model_server_subnet_ids" {
  description = "Subnets Sluice may launch model server instances into."
  type        = list(string)
}

variable "model_server_security_group_ids" {
  description = "Security groups Sluice may attach to model server instances."
  type        = list(string)
}
