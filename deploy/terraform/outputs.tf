output "staging_bucket" {
  description = "Name of the Staging Zone bucket (source_uri s3://<this>/...)."
  value       = aws_s3_bucket.zone["staging"].bucket
}

output "rnd_bucket" {
  description = "Name of the R&D Zone bucket (destination_uri s3://<this>/...)."
  value       = aws_s3_bucket.zone["rnd"].bucket
}

output "ecr_repository_urls" {
  description = "Repository URLs by name; `sluice` is the image for deploy/kubernetes."
  value       = { for name, repo in aws_ecr_repository.this : name => repo.repository_url }
}

output "db_endpoint" {
  description = "host:port of PostgreSQL for SLUICE_DATABASE_URL."
  value       = aws_db_instance.sluice.endpoint
}

output "db_master_user_secret_arn" {
  description = "Secrets Manager secret holding the generated master password."
  value       = aws_db_instance.sluice.master_user_secret[0].secret_arn
}

output "sluice_role_arn" {
  description = "Annotate the Kubernetes service account with this (eks.amazonaws.com/role-arn)."
  value       = aws_iam_role.sluice.arn
}

output "model_server_instance_profile_arn" {
  description = "Instance profile for the model server instances Sluice launches."
  value       = aws_iam_instance_profile.model_server.arn
}

output "model_server_instance_profile_name" {
  description = "Set SLUICE_EC2_INSTANCE_PROFILE to this (Sluice launches with the profile's name)."
  value       = aws_iam_instance_profile.model_server.name
}
